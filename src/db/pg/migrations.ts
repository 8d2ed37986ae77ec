/**
 * The PostgreSQL schema, as numbered migrations (never edit a released one: append). It mirrors the SQLite tables
 * the Queue seam needs (src/db/migrations.ts after its migration 11: jobs, outbox, audit_records), with the same
 * columns and state names, in PostgreSQL's types: bigint identity ids, timestamptz times, text. The other tables
 * (studies, instances, results, HL7 messages) come with their repositories.
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
];
