/**
 * Operator- and programmer-facing error codes, one table for the whole process. Each code
 * says what went wrong and what the operator should do about it. Wire-protocol errors
 * (M3UA ERR, ISUP cause, MGCP return codes, SIP status) are typed values in their own
 * codecs, not these.
 *
 * Add new codes here (keep them sorted by area); test/errors.test.ts checks each is documented.
 */
export const ERROR_CODES = {
  SSW_ERR_CONFIG_INVALID: {
    message: 'Configuration is invalid',
    action: 'Fix the key named in the message (file or SSW_* environment variable) and start again.',
  },
  SSW_ERR_CONFIG_UNREADABLE: {
    message: 'Configuration file cannot be read or parsed',
    action: 'Check the path given with --config / SSW_CONFIG and that the file is valid YAML or JSON.',
  },
  SSW_ERR_STORE_OPEN: {
    message: 'The store cannot be opened',
    action: 'SQLite: check that dataDir (or store.path) is writable by the softswitch user. PostgreSQL: check store.url (host, port, user, password, database) and that the server accepts connections from this host.',
  },
  SSW_ERR_STORE_WRITER: {
    message: "The store's writer thread has not finished its CDR and journal writes in time",
    action: 'Check the disk under the SQLite file (dataDir or store.path): I/O stalls, a full or failing volume. Set store.writerThread: false to write on the event loop instead.',
  },
  SSW_ERR_CLUSTER_REDIS: {
    message: 'The cluster\'s Redis cannot be reached',
    action: 'Check cluster.redis.url (host, port, password) and that redis-server runs and accepts connections from this host; remove cluster.redis to run as a single node.',
  },
  SSW_ERR_PORT_IN_USE: {
    message: 'A listening port is already taken',
    action: 'Another program holds the port named; choose another in the configuration or stop that program.',
  },
  SSW_ERR_RATE_DECK_INVALID: {
    message: 'The rate deck has bad rows and was not loaded',
    action: 'Correct the rows listed (line numbers are given) and import again; the previous table stays active.',
  },
  SSW_ERR_ROUTE_TABLE_SNAPSHOT: {
    message: 'The compiled route table snapshot cannot be read',
    action: 'Delete the snapshot file named; the switch rebuilds it from the rate decks at next start.',
  },
  SSW_ERR_ROUTING_DATA_INVALID: {
    message: 'The LNP table or NPA-NXX state table has bad rows',
    action: 'Correct the rows listed (file and line numbers are given) in routing.lnp.file / routing.jurisdiction.stateTable and start again.',
  },
  SSW_ERR_UNKNOWN_CARRIER: {
    message: 'No carrier with that id is configured',
    action: 'Use a carrier id from routing.carriers (GET /api/v1/routes/export lists them) or add the carrier to the configuration.',
  },
  SSW_ERR_DECK_VERSION_NOT_FOUND: {
    message: 'No rate deck version with that id',
    action: 'List the stored versions with GET /api/v1/routes/decks/:carrier/versions (or `softswitch decks list CARRIER`) and use one of their ids.',
  },
  SSW_ERR_DECK_VERSION_REJECTED: {
    message: 'That rate deck version failed validation and cannot be activated',
    action: 'Read its validation report (GET /api/v1/routes/decks/versions/:id), correct the rows listed and import the deck again.',
  },
  SSW_ERR_DECK_NO_ROLLBACK: {
    message: 'The carrier has no earlier activated deck version to roll back to',
    action: 'Activate a specific version instead (POST /api/v1/routes/decks/versions/:id/activate); the versions list shows which are valid.',
  },
  SSW_ERR_TENANT_NOT_FOUND: {
    message: 'No such tenant, extension or DID',
    action: 'List what exists with GET /api/v1/tenants (or `softswitch tenants list`, `softswitch extensions list --tenant ID`) and use one of those keys.',
  },
  SSW_ERR_TENANT_CONFLICT: {
    message: 'The tenant, extension or DID clashes with one that exists',
    action: 'The message names the key already taken (tenant id, domain, extension or hunt group number, DID) and whether the configuration file or the store holds it: choose another, or remove the other first.',
  },
  SSW_ERR_TENANT_READ_ONLY: {
    message: 'The tenant comes from the configuration file and cannot be changed through the admin API',
    action: 'Change it in class5.tenants of the configuration file and restart, or move it to the store: remove it from the file, restart, and create it with POST /api/v1/tenants.',
  },
  SSW_ERR_TENANT_INVALID: {
    message: 'The tenant, extension or DID is not valid',
    action: 'Correct the field named in the message (e.g. extensions.1001.features.cfu) and send the request again.',
  },
  SSW_ERR_TRUNK_CUSTOMER_NOT_FOUND: {
    message: 'No such trunk customer or trunk DID',
    action: 'List what exists with GET /api/v1/trunk-customers (or `softswitch trunk-customers list`, `softswitch trunk-dids list --customer ID`) and use one of those keys.',
  },
  SSW_ERR_TRUNK_CUSTOMER_CONFLICT: {
    message: 'The trunk customer or DID clashes with one that exists',
    action: 'The message names what is taken (customer id, source prefix, DID number or range) and who holds it (configuration file, store, or a Class 5 tenant): choose another, or remove the other first.',
  },
  SSW_ERR_TRUNK_CUSTOMER_READ_ONLY: {
    message: 'The trunk customer comes from the configuration file and cannot be changed through the admin API',
    action: 'Change it in trunkCustomers of the configuration file and restart, or move it to the store: remove it from the file, restart, and create it with POST /api/v1/trunk-customers.',
  },
  SSW_ERR_TRUNK_CUSTOMER_INVALID: {
    message: 'The trunk customer or DID is not valid',
    action: 'Correct the field named in the message (e.g. sources.0 or range) and send the request again.',
  },
  SSW_ERR_SCTP_ASSOC_FAILED: {
    message: 'The SCTP association to the signalling gateway could not be established',
    action: 'Check the SG address/port in ss7.sgs, that the SG accepts this ASP, and the network path; the switch keeps retrying.',
  },
  SSW_ERR_M3UA_NOT_ACTIVE: {
    message: 'No M3UA association is ASP-ACTIVE for the destination',
    action: 'Check the SG link state on GET /api/v1/ss7; calls to this destination are refused until an ASP is active.',
  },
  SSW_ERR_NO_CIRCUIT: {
    message: 'No idle circuit on the trunk group',
    action: 'The trunk group is fully busy or blocked; check circuit states on GET /api/v1/trunk-groups.',
  },
  SSW_ERR_GATEWAY_UNREACHABLE: {
    message: 'The media gateway does not answer',
    action: 'Check the gateway address in mgcp.gateways and that the gateway is running; transactions are retried with backoff.',
  },
  SSW_ERR_DRACHTIO_UNAVAILABLE: {
    message: 'The drachtio-server named in sip.drachtio cannot be reached',
    action: 'Check DRACHTIO_HOST/port/secret and that drachtio-server is running; or set sip.adapter to "embedded".',
  },
  SSW_ERR_DECODE_INPUT: {
    message: 'The input to decode is not valid hex or pcap',
    action: 'Give hex digits (spaces and colons allowed) or a path to a pcap file.',
  },
  SSW_ERR_API_INSECURE: {
    message: 'The admin API would be reachable beyond loopback without TLS and tokens',
    action: 'Configure api.tls (cert and key files) and api.tokens (create one with `softswitch api token create`), or bind api.host to 127.0.0.1.',
  },
  SSW_ERR_API_TLS: {
    message: 'The admin API TLS certificate or key cannot be read',
    action: 'Check the paths in api.tls.cert and api.tls.key and that they are PEM files readable by the softswitch user.',
  },
  SSW_ERR_API_UNAUTHENTICATED: {
    message: 'The admin API request carries no valid token',
    action: 'Send "Authorization: Bearer <token>" with a token whose hash is in api.tokens; create one with `softswitch api token create`.',
  },
  SSW_ERR_API_FORBIDDEN: {
    message: 'The token\'s role does not allow this request',
    action: 'Use a token with at least the role named (read-only < operator < admin); an admin creates one with `softswitch api token create`.',
  },
  SSW_ERR_API_CROSS_SITE: {
    message: 'A change sent from another web origin was refused',
    action: 'Send changes from the command line or a script (no Origin header), and open the lab API as http://127.0.0.1 or http://localhost (other host names are refused without tokens).',
  },
  SSW_ERR_API_BODY_TOO_LARGE: {
    message: 'The request body is larger than the route accepts',
    action: 'Send a smaller body, or raise api.limits.deckBytes (rate decks) or api.limits.jsonBytes (JSON requests) and restart.',
  },
  SSW_ERR_API_MEDIA_TYPE: {
    message: 'The request body has a content type or encoding the route does not accept',
    action: 'Send JSON as application/json and rate decks as text/csv in UTF-8 (curl: -H "content-type: text/csv" --data-binary @deck.csv).',
  },
} as const satisfies Record<string, { message: string; action: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error an operator can act on: code, what happened, and what to do. */
export class SoftswitchError extends Error {
  readonly code: ErrorCode;
  readonly action: string;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const entry = ERROR_CODES[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = 'SoftswitchError';
    this.code = code;
    this.action = entry.action;
  }

  /** One line for logs and CLI output. */
  describe(): string {
    return `${this.code}: ${this.message}. ${this.action}`;
  }
}
