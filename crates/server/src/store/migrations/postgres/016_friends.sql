-- 16: accounts, and the rest of the relationship chain: friends, friend groups and friend
-- requests (one row per side). Each row carries its owner's relation version of its last
-- change and a removed row leaves a tombstone, so a device fetches only what changed since the
-- version it holds.
CREATE TABLE accounts (
   user_id TEXT    PRIMARY KEY,
   created BIGINT NOT NULL
);
-- Who wrote before accounts were kept existed.
INSERT INTO accounts (user_id, created) SELECT DISTINCT sender, 0 FROM messages WHERE sender NOT LIKE '@TIM#%' ON CONFLICT DO NOTHING;
INSERT INTO accounts (user_id, created) SELECT user_id, 0 FROM profiles ON CONFLICT DO NOTHING;
CREATE TABLE relation_versions (
   owner     TEXT    PRIMARY KEY,
   version   BIGINT NOT NULL,
   read_time BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE friends (
   owner       TEXT    NOT NULL,
   friend      TEXT    NOT NULL,
   remark      TEXT    NOT NULL,
   groups      TEXT    NOT NULL,
   custom      TEXT    NOT NULL,
   add_source  TEXT    NOT NULL,
   add_wording TEXT    NOT NULL,
   add_time    BIGINT NOT NULL,
   version     BIGINT NOT NULL,
   PRIMARY KEY (owner, friend)
);
CREATE INDEX friends_by_friend ON friends (friend);
CREATE INDEX friends_by_version ON friends (owner, version);
CREATE TABLE friend_requests (
   owner       TEXT    NOT NULL,
   other       TEXT    NOT NULL,
   incoming    INTEGER NOT NULL,
   friend_type INTEGER NOT NULL,
   remark      TEXT    NOT NULL,
   group_name  TEXT    NOT NULL,
   add_source  TEXT    NOT NULL,
   add_wording TEXT    NOT NULL,
   add_time    BIGINT NOT NULL,
   version     BIGINT NOT NULL,
   PRIMARY KEY (owner, other, incoming)
);
CREATE TABLE friend_groups (
   owner   TEXT    NOT NULL,
   name    TEXT    NOT NULL,
   version BIGINT NOT NULL,
   PRIMARY KEY (owner, name)
);
CREATE TABLE relation_gone (
   owner   TEXT    NOT NULL,
   kind    INTEGER NOT NULL,
   item    TEXT    NOT NULL,
   version BIGINT NOT NULL,
   PRIMARY KEY (owner, kind, item)
);
CREATE INDEX relation_gone_by_version ON relation_gone (owner, version);
ALTER TABLE blacklist ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
