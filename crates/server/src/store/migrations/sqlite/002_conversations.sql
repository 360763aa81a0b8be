-- 2: each user's conversations (last message, read position, unread count, the peer's read
-- position), kept in the same transaction as every message and read mark; inbox entries get a
-- second number for kinds that need one (a read mark's unread count, a receipt's time).
CREATE TABLE conversations (
   owner         TEXT    NOT NULL,
   conv_key      TEXT    NOT NULL,
   conv_type     INTEGER NOT NULL,
   peer          TEXT    NOT NULL,
   last_seq      INTEGER NOT NULL,
   last_time     INTEGER NOT NULL,
   read_seq      INTEGER NOT NULL DEFAULT 0,
   unread        INTEGER NOT NULL DEFAULT 0,
   peer_read_seq INTEGER NOT NULL DEFAULT 0,
   PRIMARY KEY (owner, conv_key)
) WITHOUT ROWID;
CREATE INDEX conversations_by_time ON conversations (owner, last_time DESC);
ALTER TABLE inbox ADD COLUMN extra INTEGER NOT NULL DEFAULT 0;
-- Conversations of the messages stored before this migration, counted as read.
INSERT INTO conversations (owner, conv_key, conv_type, peer, last_seq, last_time, read_seq)
SELECT owner, conv_key, 1, MAX(peer), MAX(seq), MAX(server_time), MAX(seq) FROM (
    SELECT sender AS owner, receiver AS peer, conv_key, seq, server_time FROM messages
    UNION ALL
    SELECT receiver, sender, conv_key, seq, server_time FROM messages WHERE receiver <> sender
) GROUP BY owner, conv_key;
