/**
 * Schema of the shared PostgreSQL store, applied in order under an advisory lock (several nodes
 * may start at once); never edit one that has shipped. Times are ISO-8601 text like the embedded
 * store's, so both export the same CDRs. A CDR's call id is unique: a node restarted after a
 * crash cannot record a call twice.
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: PgMigration[] = [
  {
    version: 1,
    name: 'cdrs, open-calls journal and node heartbeats, per node',
    sql: `
      CREATE TABLE cdrs (
        id BIGSERIAL PRIMARY KEY,
        node TEXT NOT NULL,
        call_id TEXT NOT NULL UNIQUE,
        sip_call_id TEXT,
        direction TEXT NOT NULL,
        customer TEXT,
        calling TEXT,
        called TEXT NOT NULL,
        routed_number TEXT,
        lrn TEXT,
        carrier TEXT,
        trunk_group TEXT,
        cic INTEGER,
        rate DOUBLE PRECISION,
        jurisdiction TEXT,
        start_time TEXT NOT NULL,
        answer_time TEXT,
        end_time TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        billable_ms INTEGER NOT NULL,
        cause INTEGER NOT NULL,
        sip_status INTEGER,
        released_by TEXT,
        gateway_endpoint TEXT,
        in_trunk_group TEXT,
        in_cic INTEGER,
        target TEXT,
        interrupted BOOLEAN
      );
      CREATE INDEX cdrs_start_time ON cdrs (start_time);
      CREATE INDEX cdrs_end_time ON cdrs (end_time);
      CREATE INDEX cdrs_called ON cdrs (called);
      CREATE TABLE open_calls (
        node TEXT NOT NULL,
        call_id TEXT NOT NULL,
        record TEXT NOT NULL,
        answer_time TEXT NOT NULL,
        PRIMARY KEY (node, call_id)
      );
      CREATE TABLE node_state (
        node TEXT PRIMARY KEY,
        alive_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'cdrs: rated with the deck that routed them (deck version, charge); export filters',
    sql: `
      ALTER TABLE cdrs ADD COLUMN deck_version TEXT;
      ALTER TABLE cdrs ADD COLUMN charge DOUBLE PRECISION;
      CREATE INDEX cdrs_customer ON cdrs (customer);
      CREATE INDEX cdrs_trunk_group ON cdrs (trunk_group);
    `,
  },
  {
    version: 3,
    name: 'class 5 tenants provisioned through the admin API: tenants, extensions (digest HA1s only, never a password), DIDs',
    sql: `
      CREATE TABLE class5_tenants (
        id TEXT PRIMARY KEY,
        domain TEXT NOT NULL UNIQUE,
        main_number TEXT,
        voicemail TEXT,
        caller_id_policy TEXT NOT NULL,
        cos TEXT NOT NULL,
        hunt_groups TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE class5_extensions (
        tenant_id TEXT NOT NULL REFERENCES class5_tenants (id),
        number TEXT NOT NULL,
        display_name TEXT,
        ha1_md5 TEXT NOT NULL,
        ha1_sha256 TEXT NOT NULL,
        caller_id TEXT,
        cos TEXT,
        max_devices INTEGER,
        features TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, number)
      );
      CREATE TABLE class5_dids (
        did TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL REFERENCES class5_tenants (id),
        extension TEXT,
        hunt_group TEXT,
        created_at TEXT NOT NULL,
        CHECK ((extension IS NULL) <> (hunt_group IS NULL))
      );
      CREATE INDEX class5_dids_tenant ON class5_dids (tenant_id);
    `,
  },
  {
    version: 4,
    name: 'cdrs: transferred calls (who transferred, which call they continue)',
    sql: `
      ALTER TABLE cdrs ADD COLUMN transferred_by TEXT;
      ALTER TABLE cdrs ADD COLUMN transferred_from TEXT;
    `,
  },
  {
    version: 5,
    name: 'rate deck versions, activations and bodies shared by the nodes',
    sql: `
      CREATE TABLE lcr_deck_versions (
        id SERIAL PRIMARY KEY,
        carrier TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        status TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        row_count INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        report TEXT NOT NULL,
        node TEXT NOT NULL
      );
      CREATE INDEX lcr_deck_versions_carrier ON lcr_deck_versions (carrier, id);
      CREATE TABLE lcr_deck_activations (
        id SERIAL PRIMARY KEY,
        carrier TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES lcr_deck_versions (id),
        kind TEXT NOT NULL,
        below INTEGER,
        activated_at TEXT NOT NULL,
        activated_by TEXT NOT NULL,
        node TEXT NOT NULL
      );
      CREATE INDEX lcr_deck_activations_carrier ON lcr_deck_activations (carrier, id);
      CREATE TABLE lcr_deck_bodies (
        carrier TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        body BYTEA NOT NULL,
        PRIMARY KEY (carrier, sha256)
      );
    `,
  },
  {
    version: 6,
    name: 'class 4 trunk customers and their DIDs; every provisioning change announced on softswitch_config_change',
    sql: `
      CREATE TABLE trunk_customers (
        id TEXT PRIMARY KEY,
        name TEXT,
        sources TEXT NOT NULL,
        routing_customer TEXT,
        max_calls INTEGER NOT NULL,
        unreachable_cause INTEGER NOT NULL,
        limits TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE trunk_dids (
        first_number TEXT PRIMARY KEY,
        last_number TEXT NOT NULL,
        customer_id TEXT NOT NULL REFERENCES trunk_customers (id),
        targets TEXT NOT NULL,
        selection TEXT NOT NULL,
        deliver_as TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX trunk_dids_customer ON trunk_dids (customer_id);
      -- Any change to a provisioning table, by a node or by hand (psql), is announced when its
      -- transaction commits; the payload names the table and the writer's application_name.
      CREATE FUNCTION softswitch_config_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM pg_notify('softswitch_config_change', json_build_object('table', TG_TABLE_NAME, 'by', current_setting('application_name'))::text);
        RETURN NULL;
      END
      $fn$;
      CREATE TRIGGER trunk_customers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON trunk_customers FOR EACH STATEMENT EXECUTE FUNCTION softswitch_config_changed();
      CREATE TRIGGER trunk_dids_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON trunk_dids FOR EACH STATEMENT EXECUTE FUNCTION softswitch_config_changed();
      CREATE TRIGGER class5_tenants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON class5_tenants FOR EACH STATEMENT EXECUTE FUNCTION softswitch_config_changed();
      CREATE TRIGGER class5_extensions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON class5_extensions FOR EACH STATEMENT EXECUTE FUNCTION softswitch_config_changed();
      CREATE TRIGGER class5_dids_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON class5_dids FOR EACH STATEMENT EXECUTE FUNCTION softswitch_config_changed();
    `,
  },
];
