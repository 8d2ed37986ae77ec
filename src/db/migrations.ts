/** Schema migrations, in order. Never edit a released one: append. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE studies (
    study_instance_uid TEXT PRIMARY KEY,
    accession_number   TEXT NOT NULL DEFAULT '',
    study_date         TEXT NOT NULL DEFAULT '',
    study_description  TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('receiving', 'complete')),
    expected_instances INTEGER,
    first_received_at  TEXT NOT NULL,
    last_received_at   TEXT NOT NULL,
    complete_due_at    TEXT,
    completed_at       TEXT
  );
  CREATE INDEX studies_status ON studies (status, complete_due_at);
  CREATE INDEX studies_accession ON studies (accession_number);

  CREATE TABLE instances (
    sop_instance_uid    TEXT PRIMARY KEY,
    study_instance_uid  TEXT NOT NULL REFERENCES studies (study_instance_uid),
    series_instance_uid TEXT NOT NULL,
    sop_class_uid       TEXT NOT NULL,
    transfer_syntax_uid TEXT NOT NULL,
    accession_number    TEXT NOT NULL DEFAULT '',
    modality            TEXT NOT NULL DEFAULT '',
    body_part           TEXT NOT NULL DEFAULT '',
    series_number       INTEGER,
    instance_number     INTEGER,
    size_bytes          INTEGER NOT NULL,
    path                TEXT NOT NULL,
    calling_ae          TEXT NOT NULL,
    received_at         TEXT NOT NULL
  );
  CREATE INDEX instances_study ON instances (study_instance_uid, series_instance_uid);

  CREATE TABLE jobs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL,
    last_error         TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
  );
  -- at most one queued job of a kind per study: a re-opened study does not pile up work
  CREATE UNIQUE INDEX jobs_one_queued ON jobs (kind, study_instance_uid) WHERE state = 'queued';
  CREATE INDEX jobs_claim ON jobs (state, next_attempt_at);
  `,
  `
  ALTER TABLE jobs ADD COLUMN started_at TEXT;

  CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT NOT NULL CHECK (kind IN ('dicom', 'hl7')),
    destination        TEXT NOT NULL,
    study_instance_uid TEXT NOT NULL,
    -- what makes a retry or a re-run the same delivery (SOP Instance UID of an SR, MSH-10 of a message)
    dedupe_key         TEXT NOT NULL,
    -- the object to send: a spool-relative file for DICOM, the message text for HL7
    payload            TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL,
    last_error         TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    delivered_at       TEXT
  );
  CREATE UNIQUE INDEX outbox_dedupe ON outbox (destination, dedupe_key);
  CREATE INDEX outbox_due ON outbox (destination, state, next_attempt_at);
  `,
  `
  CREATE TABLE analysis_results (
    study_instance_uid TEXT NOT NULL,
    model_id           TEXT NOT NULL,
    model_version      TEXT NOT NULL,
    finding_code       TEXT NOT NULL,
    finding_scheme     TEXT NOT NULL,
    finding_meaning    TEXT NOT NULL,
    probability        REAL NOT NULL,
    top_k_mean         REAL NOT NULL,
    flagged            INTEGER NOT NULL,
    threshold          REAL NOT NULL,
    -- JSON array of SOP Instance UIDs that drove the result (highest scores first)
    driving_instances  TEXT NOT NULL,
    instances_analyzed INTEGER NOT NULL,
    instances_skipped  INTEGER NOT NULL,
    engine             TEXT NOT NULL,
    provider           TEXT NOT NULL,
    device             TEXT NOT NULL,
    duration_ms        INTEGER NOT NULL,
    sr_sop_instance_uid TEXT,
    analyzed_at        TEXT NOT NULL,
    PRIMARY KEY (study_instance_uid, model_id)
  );
  CREATE INDEX analysis_results_sr ON analysis_results (sr_sop_instance_uid);
  `,
  `
  CREATE TABLE hl7_messages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    -- MSH-3^MSH-4 of the sender and MSH-10: a message sent again is recognised and not processed twice
    sender             TEXT NOT NULL,
    control_id         TEXT NOT NULL,
    message_type       TEXT NOT NULL,
    accession_number   TEXT NOT NULL DEFAULT '',
    study_instance_uid TEXT NOT NULL DEFAULT '',
    result_status      TEXT NOT NULL DEFAULT '',
    report_text        TEXT,
    raw                BLOB NOT NULL,
    encoding           TEXT NOT NULL,
    peer               TEXT NOT NULL,
    -- received: stored, waiting for report processing; processed; ignored (not a report)
    state              TEXT NOT NULL CHECK (state IN ('received', 'processed', 'ignored', 'failed')),
    received_at        TEXT NOT NULL,
    times_received     INTEGER NOT NULL DEFAULT 1
  );
  CREATE UNIQUE INDEX hl7_messages_dedupe ON hl7_messages (sender, control_id);
  CREATE INDEX hl7_messages_accession ON hl7_messages (accession_number);
  `,
  `
  -- report NER output (JSON array of findings) once a stored report has been processed
  ALTER TABLE hl7_messages ADD COLUMN findings TEXT;
  ALTER TABLE hl7_messages ADD COLUMN processed_at TEXT;
  ALTER TABLE hl7_messages ADD COLUMN last_error TEXT;
  CREATE INDEX hl7_messages_study ON hl7_messages (study_instance_uid);
  `,
  `
  -- the DICOM SR with a report's coded findings (issue #5 reportSr), one per study: the newest report's
  CREATE TABLE report_results (
    study_instance_uid  TEXT PRIMARY KEY,
    message_id          INTEGER NOT NULL REFERENCES hl7_messages (id),
    sr_sop_instance_uid TEXT NOT NULL,
    written_at          TEXT NOT NULL
  );
  CREATE INDEX report_results_sr ON report_results (sr_sop_instance_uid);
  `,
  `
  -- spool retention (src/housekeeping): when the study's instance files were last purged, and how much went.
  -- The instance rows go with their files; results, deliveries and reports stay for the record.
  ALTER TABLE studies ADD COLUMN purged_at TEXT;
  ALTER TABLE studies ADD COLUMN purged_instances INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE studies ADD COLUMN purged_bytes INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX studies_last_received ON studies (last_received_at);
  CREATE INDEX outbox_study ON outbox (study_instance_uid, state);
  CREATE INDEX outbox_delivered ON outbox (state, delivered_at);
  `,
  `
  -- the Queue seam (src/queue): jobs and outbox rows are claimed with a lease (owner + expiry), so an owner that
  -- died is taken over once its lease runs out. Rows in flight when the old gateway stopped get a lease that has
  -- already expired: the first claim takes them over, nothing is lost in the upgrade.
  ALTER TABLE jobs ADD COLUMN lease_owner TEXT;
  ALTER TABLE jobs ADD COLUMN lease_expires_at TEXT;
  UPDATE jobs SET lease_expires_at = updated_at WHERE state = 'running';
  ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
  ALTER TABLE outbox ADD COLUMN lease_expires_at TEXT;
  UPDATE outbox SET lease_expires_at = updated_at WHERE state = 'sending';
  -- report processing is a job too (kind process-report, ref_id = hl7_messages.id): retried, then dead-lettered
  ALTER TABLE jobs ADD COLUMN ref_id INTEGER;
  DROP INDEX jobs_one_queued;
  CREATE UNIQUE INDEX jobs_one_queued ON jobs (kind, study_instance_uid, IFNULL(ref_id, 0)) WHERE state = 'queued';
  DROP INDEX jobs_claim;
  CREATE INDEX jobs_claim ON jobs (kind, state, next_attempt_at);
  INSERT INTO jobs (kind, study_instance_uid, ref_id, state, next_attempt_at, created_at, updated_at)
    SELECT 'process-report', study_instance_uid, id, 'queued', received_at, received_at, received_at
      FROM hl7_messages WHERE state = 'received' ORDER BY id;
  `,
  `
  -- duplicates are the same bytes, not only the same sender + MSH-10 (issue 15, D6): a hash of the raw message
  -- is kept with the row. Rows from before have none; theirs is computed from raw when first compared.
  ALTER TABLE hl7_messages ADD COLUMN raw_sha256 TEXT;
  `,
  `
  -- result revisions (issue 12): every SR the gateway wrote for a result, one row per revision; the current one is
  -- the highest. A result is (study, result_key): 'image-ai:<model id>' for an image model's SR, 'report-findings'
  -- for the study's report SR. A changed result is a new SOP Instance (a PACS keeps the first copy of a UID)
  -- naming its predecessor.
  CREATE TABLE result_revisions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    study_instance_uid  TEXT NOT NULL,
    result_key          TEXT NOT NULL,
    kind                TEXT NOT NULL,
    -- the image model, or the report analyser; empty for report SRs recorded before this table
    model_id            TEXT NOT NULL,
    model_version       TEXT NOT NULL,
    revision            INTEGER NOT NULL CHECK (revision >= 1),
    sop_instance_uid    TEXT NOT NULL UNIQUE,
    -- NULL for SRs written before this table (their series is read from the spool when one is replaced)
    series_instance_uid TEXT,
    -- hex SHA-256 prefix of what defines the result (src/results/result-revision.ts); NULL before this table
    content_digest      TEXT,
    predecessor_uid     TEXT,
    reason              TEXT NOT NULL CHECK (reason IN ('initial', 're-analysis', 'report-corrected')),
    -- the hl7_messages row a report-findings SR was coded from
    source_message_id   INTEGER,
    created_at          TEXT NOT NULL,
    UNIQUE (study_instance_uid, result_key, revision)
  );
  -- SRs written before revisions were recorded become revision 1 of their result
  INSERT INTO result_revisions (study_instance_uid, result_key, kind, model_id, model_version, revision, sop_instance_uid, reason, created_at)
    SELECT study_instance_uid, 'image-ai:' || model_id, 'image-ai', model_id, model_version, 1, sr_sop_instance_uid, 'initial', analyzed_at
      FROM analysis_results WHERE sr_sop_instance_uid IS NOT NULL;
  INSERT OR IGNORE INTO result_revisions (study_instance_uid, result_key, kind, model_id, model_version, revision, sop_instance_uid, reason, source_message_id, created_at)
    SELECT study_instance_uid, 'report-findings', 'report-findings', '', '', 1, sr_sop_instance_uid, 'initial', message_id, written_at FROM report_results;
  `,
  `
  -- the audit trail's local queue (src/audit, docs/audit.md): each row is one RFC 5424 syslog message with a DICOM
  -- audit message inside, written before it is sent and deleted once the TLS socket has flushed it
  CREATE TABLE audit_records (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- one collector today; the Queue seam claims per partition
    collector        TEXT NOT NULL,
    -- PS3.16 CID 400 event ID (110104 …), for the operator and the metrics
    event_id         TEXT NOT NULL,
    message          TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT
  );
  CREATE INDEX audit_records_due ON audit_records (collector, state, next_attempt_at);
  `,
  `
  -- the reading radiologist a report names (OBR-32, else OBX-16) as a DICOM PN: the report SR's person observer
  ALTER TABLE hl7_messages ADD COLUMN interpreter TEXT NOT NULL DEFAULT '';
  `,
  `
  -- the node register (cluster.nodeName; docs/scale-out.md): on SQLite the one node, so the status page, the API
  -- and the CLI read nodes the same way on either engine. received_by: the node that received an instance.
  CREATE TABLE cluster_nodes (
    node_name    TEXT PRIMARY KEY,
    roles        TEXT NOT NULL,
    version      TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    stopped_at   TEXT
  );
  ALTER TABLE instances ADD COLUMN received_by TEXT NOT NULL DEFAULT '';
  `,
];
