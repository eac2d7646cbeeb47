/** Schema migrations of the embedded store, applied in order; never edit one that has shipped. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'cdrs',
    sql: `
      CREATE TABLE cdrs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        call_id TEXT NOT NULL,
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
        rate REAL,
        jurisdiction TEXT,
        start_time TEXT NOT NULL,
        answer_time TEXT,
        end_time TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        billable_ms INTEGER NOT NULL,
        cause INTEGER NOT NULL,
        sip_status INTEGER,
        released_by TEXT,
        gateway_endpoint TEXT
      );
      CREATE INDEX cdrs_start_time ON cdrs (start_time);
      CREATE INDEX cdrs_called ON cdrs (called);
    `,
  },
  {
    version: 2,
    name: 'cdrs: incoming side and delivery target (calls both ways)',
    sql: `
      ALTER TABLE cdrs ADD COLUMN in_trunk_group TEXT;
      ALTER TABLE cdrs ADD COLUMN in_cic INTEGER;
      ALTER TABLE cdrs ADD COLUMN target TEXT;
      CREATE INDEX cdrs_direction ON cdrs (direction);
    `,
  },
  {
    version: 3,
    name: 'open calls journal (answered calls survive a crash as interrupted CDRs)',
    sql: `
      CREATE TABLE open_calls (
        call_id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        answer_time TEXT NOT NULL
      );
      CREATE TABLE switch_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ALTER TABLE cdrs ADD COLUMN interrupted INTEGER;
    `,
  },
  {
    version: 4,
    name: 'cdrs: rated with the deck that routed them (deck version, charge); export filters',
    sql: `
      ALTER TABLE cdrs ADD COLUMN deck_version TEXT;
      ALTER TABLE cdrs ADD COLUMN charge REAL;
      CREATE INDEX cdrs_customer ON cdrs (customer);
      CREATE INDEX cdrs_trunk_group ON cdrs (trunk_group);
    `,
  },
  {
    version: 5,
    name: 'class 5 feature settings changed by star codes (forwarding, do-not-disturb)',
    sql: `
      CREATE TABLE class5_feature_settings (
        tenant TEXT NOT NULL,
        extension TEXT NOT NULL,
        settings TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (tenant, extension)
      );
    `,
  },
  {
    version: 6,
    name: 'rate deck versions: every import with its validation report, and the activation history',
    sql: `
      CREATE TABLE lcr_deck_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        carrier TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        status TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        row_count INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        report TEXT NOT NULL,
        file TEXT
      );
      CREATE INDEX lcr_deck_versions_carrier ON lcr_deck_versions (carrier, id);
      CREATE TABLE lcr_deck_activations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        carrier TEXT NOT NULL,
        version_id INTEGER NOT NULL REFERENCES lcr_deck_versions (id),
        kind TEXT NOT NULL,
        below INTEGER REFERENCES lcr_deck_activations (id),
        activated_at TEXT NOT NULL,
        activated_by TEXT NOT NULL
      );
      CREATE INDEX lcr_deck_activations_carrier ON lcr_deck_activations (carrier, id);
    `,
  },
  {
    version: 7,
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
    version: 8,
    name: 'cdrs: transferred calls (who transferred, which call they continue)',
    sql: `
      ALTER TABLE cdrs ADD COLUMN transferred_by TEXT;
      ALTER TABLE cdrs ADD COLUMN transferred_from TEXT;
    `,
  },
  {
    version: 9,
    name: 'class 4 trunk customers and their DIDs provisioned through the admin API',
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
    `,
  },
];
