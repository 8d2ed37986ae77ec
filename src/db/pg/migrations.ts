/**
 * The PostgreSQL schema, as numbered migrations (never edit a released one: append). It mirrors the SQLite tables
 * the Queue seam needs (src/db/migrations.ts after its migration 11: jobs, outbox, audit_records), with the same
 * columns and state names, in PostgreSQL's types: bigint identity ids, timestamptz times, text, bytea, double
 * precision. Migration 2 adds the rest (studies, instances, results and their revisions, HL7 messages) as the SQLite
 * schema stands after its migration 12, and the cluster's node register (SQLite migration 13).
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL,
    study_instance_uid text NOT NULL,
    -- what else the job is about: the hl7_messages id of a process-report job
    ref_id             bigint,
    state              text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL,
    last_error         text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    started_at         timestamptz,
    lease_owner        text,
    lease_expires_at   timestamptz
  );
  -- at most one queued job of a kind per study and report: a re-opened study does not pile up work
  CREATE UNIQUE INDEX jobs_one_queued ON jobs (kind, study_instance_uid, COALESCE(ref_id, 0)) WHERE state = 'queued';
  CREATE INDEX jobs_claim ON jobs (kind, state, next_attempt_at);

  CREATE TABLE outbox (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('dicom', 'hl7')),
    destination        text NOT NULL,
    study_instance_uid text NOT NULL,
    -- what makes a retry or a re-run the same delivery (SOP Instance UID of an SR, MSH-10 of a message)
    dedupe_key         text NOT NULL,
    -- the object to send: a spool key for DICOM, the message text for HL7
    payload            text NOT NULL,
    state              text NOT NULL CHECK (state IN ('pending', 'sending', 'delivered', 'dead')),
    attempts           integer NOT NULL DEFAULT 0,
    next_attempt_at    timestamptz NOT NULL,
    last_error         text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    delivered_at       timestamptz,
    lease_owner        text,
    lease_expires_at   timestamptz
  );
  CREATE UNIQUE INDEX outbox_dedupe ON outbox (destination, dedupe_key);
  CREATE INDEX outbox_due ON outbox (destination, state, next_attempt_at);
  CREATE INDEX outbox_study ON outbox (study_instance_uid, state);
  CREATE INDEX outbox_delivered ON outbox (state, delivered_at);

  CREATE TABLE audit_records (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collector        text NOT NULL,
    -- PS3.16 CID 400 event ID (110104 …)
    event_id         text NOT NULL,
    message          text NOT NULL,
    state            text NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz
  );
  CREATE INDEX audit_records_due ON audit_records (collector, state, next_attempt_at);
  `,
  `
  CREATE TABLE studies (
    study_instance_uid text PRIMARY KEY,
    accession_number   text NOT NULL DEFAULT '',
    study_date         text NOT NULL DEFAULT '',
    study_description  text NOT NULL DEFAULT '',
    status             text NOT NULL CHECK (status IN ('receiving', 'complete')),
    expected_instances integer,
    first_received_at  timestamptz NOT NULL,
    last_received_at   timestamptz NOT NULL,
    -- the quiet period, in the database: every node's instances push it back, and whichever node's timer (or
    -- sweep) finds it passed completes the study, once (the state change is conditional)
    complete_due_at    timestamptz,
    completed_at       timestamptz,
    purged_at          timestamptz,
    purged_instances   integer NOT NULL DEFAULT 0,
    purged_bytes       bigint NOT NULL DEFAULT 0
  );
  CREATE INDEX studies_status ON studies (status, complete_due_at);
  CREATE INDEX studies_accession ON studies (accession_number);
  CREATE INDEX studies_last_received ON studies (last_received_at);

  CREATE TABLE instances (
    sop_instance_uid    text PRIMARY KEY,
    study_instance_uid  text NOT NULL REFERENCES studies (study_instance_uid),
    series_instance_uid text NOT NULL,
    sop_class_uid       text NOT NULL,
    transfer_syntax_uid text NOT NULL,
    accession_number    text NOT NULL DEFAULT '',
    modality            text NOT NULL DEFAULT '',
    body_part           text NOT NULL DEFAULT '',
    series_number       integer,
    instance_number     integer,
    size_bytes          bigint NOT NULL,
    path                text NOT NULL,
    calling_ae          text NOT NULL,
    received_at         timestamptz NOT NULL,
    -- the node that received it (cluster.nodeName)
    received_by         text NOT NULL DEFAULT ''
  );
  CREATE INDEX instances_study ON instances (study_instance_uid, series_instance_uid);

  CREATE TABLE analysis_results (
    study_instance_uid  text NOT NULL,
    model_id            text NOT NULL,
    model_version       text NOT NULL,
    finding_code        text NOT NULL,
    finding_scheme      text NOT NULL,
    finding_meaning     text NOT NULL,
    probability         double precision NOT NULL,
    top_k_mean          double precision NOT NULL,
    flagged             integer NOT NULL,
    threshold           double precision NOT NULL,
    driving_instances   text NOT NULL,
    instances_analyzed  integer NOT NULL,
    instances_skipped   integer NOT NULL,
    engine              text NOT NULL,
    provider            text NOT NULL,
    device              text NOT NULL,
    duration_ms         integer NOT NULL,
    sr_sop_instance_uid text,
    analyzed_at         timestamptz NOT NULL,
    PRIMARY KEY (study_instance_uid, model_id)
  );
  CREATE INDEX analysis_results_sr ON analysis_results (sr_sop_instance_uid);

  CREATE TABLE hl7_messages (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- sender + MSH-10 is unique across the cluster: the same message through two nodes is stored once
    sender             text NOT NULL,
    control_id         text NOT NULL,
    message_type       text NOT NULL,
    accession_number   text NOT NULL DEFAULT '',
    study_instance_uid text NOT NULL DEFAULT '',
    result_status      text NOT NULL DEFAULT '',
    report_text        text,
    raw                bytea NOT NULL,
    raw_sha256         text,
    encoding           text NOT NULL,
    peer               text NOT NULL,
    state              text NOT NULL CHECK (state IN ('received', 'processed', 'ignored', 'failed')),
    received_at        timestamptz NOT NULL,
    times_received     integer NOT NULL DEFAULT 1,
    findings           text,
    processed_at       timestamptz,
    last_error         text,
    interpreter        text NOT NULL DEFAULT ''
  );
  CREATE UNIQUE INDEX hl7_messages_dedupe ON hl7_messages (sender, control_id);
  CREATE INDEX hl7_messages_accession ON hl7_messages (accession_number);
  CREATE INDEX hl7_messages_study ON hl7_messages (study_instance_uid);

  CREATE TABLE report_results (
    study_instance_uid  text PRIMARY KEY,
    message_id          bigint NOT NULL REFERENCES hl7_messages (id),
    sr_sop_instance_uid text NOT NULL,
    written_at          timestamptz NOT NULL
  );
  CREATE INDEX report_results_sr ON report_results (sr_sop_instance_uid);

  CREATE TABLE result_revisions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    study_instance_uid  text NOT NULL,
    result_key          text NOT NULL,
    kind                text NOT NULL,
    model_id            text NOT NULL,
    model_version       text NOT NULL,
    revision            integer NOT NULL CHECK (revision >= 1),
    sop_instance_uid    text NOT NULL UNIQUE,
    series_instance_uid text,
    content_digest      text,
    predecessor_uid     text,
    reason              text NOT NULL CHECK (reason IN ('initial', 're-analysis', 'report-corrected')),
    source_message_id   bigint,
    created_at          timestamptz NOT NULL,
    UNIQUE (study_instance_uid, result_key, revision)
  );

  -- the cluster's nodes (cluster.nodeName), each refreshing its heartbeat: the status page, the API and the CLI
  -- list them, and a node whose heartbeat is old is shown as gone
  CREATE TABLE cluster_nodes (
    node_name    text PRIMARY KEY,
    roles        text NOT NULL,
    version      text NOT NULL,
    host         text NOT NULL,
    pid          integer NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    stopped_at   timestamptz
  );
  `,
];
