CREATE TABLE scans (
  id           BIGSERIAL PRIMARY KEY,
  generated_at TEXT NOT NULL,
  recorded_at  TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  summary      TEXT NOT NULL,
  report       TEXT NOT NULL
);
CREATE TABLE findings (
  scan_id     BIGINT NOT NULL REFERENCES scans(id),
  finding_id  TEXT NOT NULL,
  control_id  TEXT NOT NULL,
  status      TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  region      TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  data        TEXT NOT NULL,
  PRIMARY KEY (scan_id, finding_id)
);
CREATE TABLE finding_seen (
  finding_id  TEXT PRIMARY KEY,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
  last_status TEXT NOT NULL
);
