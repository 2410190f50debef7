import GRDB

/// The versioned schema of a labelling store. As the alert store's: migrations are appended, never edited; a
/// store is created by `LabelStore.create` and only opened (never migrated or created) by everything else, so a
/// query on a foreign or empty file is refused instead of turning it into a store.
enum LabelSchema {
  /// `PRAGMA application_id` of labelling stores ("ZTFL").
  static let applicationID: Int32 = 0x5A54_464C
  static let migrationIdentifiers = ["v1-projects-items-labellers-events"]
  static var currentVersion: Int { migrationIdentifiers.count }

  static func migrator() -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    let steps: [@Sendable (Database) throws -> Void] = [createTables]
    for (i, (identifier, step)) in zip(migrationIdentifiers, steps).enumerated() {
      migrator.registerMigration(identifier) { db in
        try step(db)
        try db.execute(sql: "PRAGMA user_version = \(i + 1)")
      }
    }
    return migrator
  }

  private static func createTables(_ db: Database) throws {
    try db.execute(sql: "PRAGMA application_id = \(applicationID)")
    try db.execute(
      sql: """
        -- classes: a JSON array of class names; labels_per_item: labels (from distinct labellers) after which an
        -- item is retired from the queue; blind: the queue and page hide the model's score.
        CREATE TABLE projects (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL UNIQUE,
          classes TEXT NOT NULL,
          multi_label INTEGER NOT NULL DEFAULT 0,
          labels_per_item INTEGER NOT NULL DEFAULT 1 CHECK (labels_per_item >= 1),
          blind INTEGER NOT NULL DEFAULT 0,
          created_at REAL NOT NULL
        );
        CREATE TABLE datasets (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          project_id INTEGER NOT NULL REFERENCES projects (id),
          name TEXT NOT NULL,
          created_at REAL NOT NULL,
          UNIQUE (project_id, name)
        );
        -- external_id: the stable id users know (a candid, a file name); triplet: float32 HWC, channels science,
        -- reference, difference; gold: the known labels (JSON array) of a gold item, NULL otherwise.
        CREATE TABLE items (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          dataset_id INTEGER NOT NULL REFERENCES datasets (id),
          external_id TEXT NOT NULL,
          candid INTEGER,
          object_id TEXT,
          height INTEGER NOT NULL,
          width INTEGER NOT NULL,
          channels INTEGER NOT NULL,
          triplet BLOB NOT NULL,
          gold TEXT,
          UNIQUE (dataset_id, external_id)
        );
        CREATE INDEX items_by_candid ON items (candid);
        -- token_hash: SHA-256 of the bearer token (hex); the token itself is shown once and never stored.
        CREATE TABLE labellers (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          name TEXT NOT NULL UNIQUE,
          role TEXT NOT NULL CHECK (role IN ('admin', 'labeller')),
          token_hash TEXT NOT NULL UNIQUE,
          created_at REAL NOT NULL
        );
        -- The append-only log: every label, skip and retraction (undo) with who, when, how long, and what the
        -- page showed (model version and score; NULL score in blind mode).
        CREATE TABLE label_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          item_id INTEGER NOT NULL REFERENCES items (id),
          labeller_id INTEGER NOT NULL REFERENCES labellers (id),
          kind TEXT NOT NULL CHECK (kind IN ('label', 'skip', 'retract')),
          labels TEXT NOT NULL,
          unsure INTEGER NOT NULL DEFAULT 0,
          seconds REAL,
          model_version TEXT,
          shown_score REAL,
          retracts INTEGER REFERENCES label_events (id),
          created_at REAL NOT NULL
        );
        CREATE INDEX events_by_item ON label_events (item_id, labeller_id, id);
        CREATE INDEX events_by_labeller ON label_events (labeller_id, id);
        CREATE TRIGGER label_events_no_update BEFORE UPDATE ON label_events
          BEGIN SELECT RAISE(ABORT, 'label events are append-only'); END;
        CREATE TRIGGER label_events_no_delete BEFORE DELETE ON label_events
          BEGIN SELECT RAISE(ABORT, 'label events are append-only'); END;
        -- A model's score of each item and the acquisition value the queue is ordered by.
        CREATE TABLE model_scores (
          item_id INTEGER NOT NULL REFERENCES items (id),
          model_version TEXT NOT NULL,
          score REAL NOT NULL,
          acquisition REAL NOT NULL,
          created_at REAL NOT NULL,
          PRIMARY KEY (item_id, model_version)
        );
        -- The model version whose scores order a project's queue (the latest row).
        CREATE TABLE project_models (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          project_id INTEGER NOT NULL REFERENCES projects (id),
          model_version TEXT NOT NULL,
          strategy TEXT NOT NULL,
          created_at REAL NOT NULL
        );
        """)
  }
}
