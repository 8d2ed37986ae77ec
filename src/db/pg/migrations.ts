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
  `
  -- Recording a batch of instances in one round trip (db/pg/pg-instances-store.ts): what the SQLite writer thread
  -- does record by record, run inside the server, so a C-STORE's commit costs one network round trip instead of
  -- three per instance. Arrays hold one element per record, in arrival order. The study rows are taken first, in
  -- study UID order (byte order, COLLATE "C"), each with its first record's activity: the lock order every writer
  -- keeps, so two nodes recording one study take turns and never deadlock. Then each record in order: its study
  -- activity (the first record's is done), its instance row, and the study's count and announced total after it,
  -- each statement with a fresh snapshot (READ COMMITTED), so counts include what other nodes committed.
  CREATE FUNCTION gw_record_instances(
    sop text[], study text[], series text[], sop_class text[], ts text[], accession text[], modality text[],
    body_part text[], series_no integer[], instance_no integer[], size_bytes bigint[], path text[], calling_ae text[],
    received timestamptz[], study_date text[], study_desc text[], expected integer[], reopens boolean[],
    due timestamptz[], node text)
  RETURNS TABLE (ord integer, n bigint, expected_instances integer)
  LANGUAGE plpgsql AS $fn$
  DECLARE
    k integer;
    u text;
  BEGIN
    FOR u IN SELECT DISTINCT x COLLATE "C" FROM unnest(study) AS x ORDER BY 1 LOOP
      k := array_position(study, u);
      PERFORM gw_study_activity(study[k], accession[k], study_date[k], study_desc[k], expected[k], received[k], due[k], reopens[k]);
    END LOOP;
    FOR k IN 1 .. coalesce(array_length(sop, 1), 0) LOOP
      IF array_position(study, study[k]) <> k THEN
        PERFORM gw_study_activity(study[k], accession[k], study_date[k], study_desc[k], expected[k], received[k], due[k], reopens[k]);
      END IF;
      INSERT INTO instances (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid,
        transfer_syntax_uid, accession_number, modality, body_part, series_number, instance_number,
        size_bytes, path, calling_ae, received_at, received_by)
      VALUES (sop[k], study[k], series[k], sop_class[k], ts[k], accession[k], modality[k], body_part[k], series_no[k],
        instance_no[k], size_bytes[k], path[k], calling_ae[k], received[k], node)
      ON CONFLICT (sop_instance_uid) DO UPDATE SET
        study_instance_uid = excluded.study_instance_uid, series_instance_uid = excluded.series_instance_uid,
        sop_class_uid = excluded.sop_class_uid, transfer_syntax_uid = excluded.transfer_syntax_uid,
        accession_number = excluded.accession_number, modality = excluded.modality, body_part = excluded.body_part,
        series_number = excluded.series_number, instance_number = excluded.instance_number,
        size_bytes = excluded.size_bytes, path = excluded.path, calling_ae = excluded.calling_ae,
        received_at = excluded.received_at, received_by = excluded.received_by;
      RETURN QUERY SELECT k, (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid), s.expected_instances
        FROM studies s WHERE s.study_instance_uid = study[k];
    END LOOP;
  END
  $fn$;

  -- The study row's half of recording an instance (src/studies prepareStudyActivity on SQLite): creates the study,
  -- or, when the instance re-opens it, refreshes it and pushes its due time back (a completed study re-opens). An SR
  -- of ours routed back (reopens false) leaves an existing row as it is; the row is locked either way.
  CREATE FUNCTION gw_study_activity(uid text, acc text, sdate text, sdesc text, expected integer, received timestamptz,
    due timestamptz, reopens boolean) RETURNS void
  LANGUAGE sql AS $fn$
    INSERT INTO studies AS s (study_instance_uid, accession_number, study_date, study_description, status,
                              expected_instances, first_received_at, last_received_at, complete_due_at)
    VALUES (uid, acc, sdate, sdesc, 'receiving', expected, received, received, due)
    ON CONFLICT (study_instance_uid) DO UPDATE SET
      status = 'receiving',
      accession_number = CASE WHEN excluded.accession_number <> '' THEN excluded.accession_number ELSE s.accession_number END,
      study_date = CASE WHEN excluded.study_date <> '' THEN excluded.study_date ELSE s.study_date END,
      study_description = CASE WHEN excluded.study_description <> '' THEN excluded.study_description ELSE s.study_description END,
      expected_instances = COALESCE(excluded.expected_instances, s.expected_instances),
      last_received_at = excluded.last_received_at,
      complete_due_at = excluded.complete_due_at
    WHERE reopens
  $fn$;

  -- Storing a batch of received HL7 messages in one round trip (db/pg/pg-hl7-messages-store.ts). Arrays hold one
  -- element per message, in the order to write them (sender, MSH-10: the same order on every node, so two nodes'
  -- batches never wait for each other in a cycle). Dedupe is decided by the unique index (sender, control_id): the
  -- INSERT waits for a concurrent inserter of the same key and then inserts nothing; the known row then counts a
  -- byte-identical copy as received again (duplicate) or is left alone (conflict). A stored report gets its
  -- process-report job (the jobs queue's row, as db/pg/pg-job-queue.ts inserts it) in the same transaction.
  CREATE FUNCTION gw_store_hl7(
    p_sender text[], p_control_id text[], p_message_type text[], p_accession text[], p_study text[], p_result_status text[],
    p_report_text text[], p_interpreter text[], p_raw bytea[], p_raw_sha256 text[], p_encoding text[], p_peer text[],
    p_received timestamptz[])
  RETURNS TABLE (ord integer, outcome text, id bigint)
  LANGUAGE plpgsql AS $fn$
  DECLARE
    k integer;
    tries integer;
    new_id bigint;
    known_id bigint;
    same boolean;
  BEGIN
    FOR k IN 1 .. coalesce(array_length(p_sender, 1), 0) LOOP
      FOR tries IN 1 .. 3 LOOP
        INSERT INTO hl7_messages AS h (sender, control_id, message_type, accession_number, study_instance_uid, result_status,
          report_text, interpreter, raw, raw_sha256, encoding, peer, state, received_at)
        VALUES (p_sender[k], p_control_id[k], p_message_type[k], p_accession[k], p_study[k], p_result_status[k], p_report_text[k],
          p_interpreter[k], p_raw[k], p_raw_sha256[k], p_encoding[k], p_peer[k],
          CASE WHEN p_report_text[k] IS NULL THEN 'ignored' ELSE 'received' END, p_received[k])
        ON CONFLICT (sender, control_id) DO NOTHING
        RETURNING h.id INTO new_id;
        IF new_id IS NOT NULL THEN
          IF p_report_text[k] IS NOT NULL THEN
            INSERT INTO jobs (kind, study_instance_uid, ref_id, state, next_attempt_at, created_at, updated_at)
            VALUES ('process-report', p_study[k], new_id, 'queued', p_received[k], p_received[k], p_received[k])
            ON CONFLICT DO NOTHING;
          END IF;
          ord := k; outcome := 'stored'; id := new_id;
          RETURN NEXT;
          EXIT;
        END IF;
        UPDATE hl7_messages AS h
           SET raw_sha256 = COALESCE(h.raw_sha256, encode(sha256(h.raw), 'hex')),
               times_received = h.times_received + CASE WHEN COALESCE(h.raw_sha256, encode(sha256(h.raw), 'hex')) = p_raw_sha256[k] THEN 1 ELSE 0 END
         WHERE h.sender = p_sender[k] AND h.control_id = p_control_id[k]
         RETURNING h.id, h.raw_sha256 = p_raw_sha256[k] INTO known_id, same;
        IF known_id IS NOT NULL THEN
          ord := k; outcome := CASE WHEN same THEN 'duplicate' ELSE 'conflict' END; id := known_id;
          RETURN NEXT;
          EXIT;
        END IF;
        -- neither: the conflicting insert was rolled back in between; try again
        IF tries = 3 THEN
          RAISE EXCEPTION 'HL7 message % from %: neither inserted nor found after 3 tries', p_control_id[k], p_sender[k];
        END IF;
      END LOOP;
    END LOOP;
  END
  $fn$;
  `,
];
