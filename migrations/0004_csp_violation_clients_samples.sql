-- What `reports --suggest` needs beside the counts (binding REPORTS_DB), still without personal data:
--   clients : which of 48 buckets the clients that sent a row's reports fall in, as the bits of an integer.
--             A client's bucket is a hash of its rate-limit key (the IP address, an IPv6 /64) modulo 48, so
--             every bucket holds a 48th of all addresses: it tells one client from several (a host seen
--             from one client only is an ad injector or an extension, not the site) and never who.
--             Rows of the same violation OR their bits together, across isolates and days.
--   samples : up to 8 distinct samples of the row's inline code (a JSON array of strings of at most 40
--             characters): each is a hash to propose when it is the whole code.
-- The Worker that writes these columns needs this migration applied first:
--   npx wrangler d1 migrations apply REPORTS_DB --remote [--env staging]

ALTER TABLE csp_violations ADD COLUMN clients INTEGER NOT NULL DEFAULT 0;
ALTER TABLE csp_violations ADD COLUMN samples TEXT NOT NULL DEFAULT '[]';
