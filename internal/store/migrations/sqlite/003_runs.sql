CREATE TABLE run_accounts (
  run_id     TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  members    TEXT NOT NULL
);
CREATE TABLE run_shards (
  run_id      TEXT NOT NULL,
  shard_index INTEGER NOT NULL,
  shard_count INTEGER NOT NULL,
  recorded_at TEXT NOT NULL,
  report      TEXT NOT NULL,
  PRIMARY KEY (run_id, shard_index)
)
