-- What the report collector did not store, and why (binding REPORTS_DB), so that the summary can say so.
-- One row per UTC day, unit and reason, with a count:
--   unit 'report'  : reports read from a body and dropped (rateLimited, duplicate, clientCap, rowCap,
--                    sampledOut, d1Error, d1Timeout, circuitOpen, d1Unbound, offHost, invalid, otherType, overflow)
--   unit 'request' : requests refused before their body was read (rateLimited, tooLarge, badBody, mediaType, method)
-- No client is recorded: the per-client budgets live in the Worker's memory only.
-- Each isolate writes its counts with its next batch of reports (or on their own, at most every 10 s):
-- counts an isolate held when it ended are in Workers Logs only.
-- Retention: deleted with csp_violations, after 90 days.

CREATE TABLE IF NOT EXISTS csp_report_drops (
  day    TEXT    NOT NULL CHECK (length(day) = 10),                 -- YYYY-MM-DD, UTC
  unit   TEXT    NOT NULL CHECK (unit IN ('report', 'request')),
  reason TEXT    NOT NULL,
  count  INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
  PRIMARY KEY (day, unit, reason)
) WITHOUT ROWID;
