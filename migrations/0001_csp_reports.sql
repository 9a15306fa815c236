-- CSP violation counts for the Worker's report collector (binding REPORTS_DB).
-- One row per UTC day, directive, blocked URL, page and disposition, with a count: repeats cost an UPDATE,
-- not a row. Strings arrive already bounded (512 characters) and stripped of queries, fragments and control
-- characters by src/core/csp-report.ts.
--
-- Retention: the Worker deletes rows older than 90 days at most once per UTC day per isolate:
--   DELETE FROM csp_violations WHERE day < date('now', '-90 days');
-- Run it by hand with: wrangler d1 execute REPORTS_DB --remote --command "<the statement above>"

CREATE TABLE IF NOT EXISTS csp_violations (
  day           TEXT    NOT NULL CHECK (length(day) = 10),          -- YYYY-MM-DD, UTC
  directive     TEXT    NOT NULL,                                   -- effective directive or 'other'
  blocked       TEXT    NOT NULL,                                   -- origin + path, scheme, or keyword
  page          TEXT    NOT NULL,                                   -- origin + path of the document
  disposition   TEXT    NOT NULL CHECK (disposition IN ('enforce', 'report')),
  count         INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
  first_seen    INTEGER NOT NULL,                                   -- ms since the epoch
  last_seen     INTEGER NOT NULL,                                   -- ms since the epoch
  status_code   INTEGER NOT NULL DEFAULT 0,                         -- the latest report's details
  source_file   TEXT    NOT NULL DEFAULT '',
  line_number   INTEGER NOT NULL DEFAULT 0,
  column_number INTEGER NOT NULL DEFAULT 0,
  sample        TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (day, directive, blocked, page, disposition)
) WITHOUT ROWID;

-- The day index. The primary key already leads with day (it serves the per-day row cap and the retention
-- DELETE), but its rows carry every long string; this narrow covering index lets the summary's totals by
-- day, directive and disposition read a window of days without touching them.
CREATE INDEX IF NOT EXISTS csp_violations_day ON csp_violations (day, directive, disposition, count);
