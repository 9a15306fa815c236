-- Each client's share of the day's csp_violations rows (binding REPORTS_DB), kept here rather than in one
-- isolate's memory, so that a client whose reports land on many isolates still has one share.
-- One row per UTC day and client; `client` is a pseudonym: the first 16 hex digits of SHA-256 over the day
-- and the client key (an IPv4 address or an IPv6 /48), never the address itself. A new day gives a new
-- pseudonym. An IPv4 pseudonym can be reversed by trying all 2^32 addresses for that day: the table is
-- deleted down to today by the Worker's daily pruning, so at most two days of pseudonyms exist.
-- The collector's insert into csp_violations takes a place here first (src/reports/store.ts): a client may
-- hold `share` rows of the day's open rows, and a client with no row yet today one of the reserved rows.

CREATE TABLE IF NOT EXISTS csp_report_clients (
  day    TEXT    NOT NULL CHECK (length(day) = 10),                 -- YYYY-MM-DD, UTC
  client TEXT    NOT NULL CHECK (length(client) = 16),              -- pseudonym, see above
  rows   INTEGER NOT NULL DEFAULT 0 CHECK (rows >= 0),              -- csp_violations rows this client created today
  PRIMARY KEY (day, client)
) WITHOUT ROWID;
