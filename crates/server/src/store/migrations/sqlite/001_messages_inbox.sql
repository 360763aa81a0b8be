-- 1: messages (one row per message, under its conversation's seq) and inboxes (one row per
-- user and cursor).
CREATE TABLE messages (
   conv_key      TEXT    NOT NULL,
   seq           INTEGER NOT NULL,
   conv_type     INTEGER NOT NULL,
   sender        TEXT    NOT NULL,
   receiver      TEXT    NOT NULL,
   client_msg_id TEXT    NOT NULL,
   rand          INTEGER NOT NULL,
   server_time   INTEGER NOT NULL,
   body          TEXT    NOT NULL,
   sender_cursor   INTEGER NOT NULL,
   receiver_cursor INTEGER NOT NULL,
   PRIMARY KEY (conv_key, seq)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages (sender, client_msg_id);
CREATE TABLE inbox (
   user_id  TEXT    NOT NULL,
   cursor   INTEGER NOT NULL,
   kind     INTEGER NOT NULL,
   conv_key TEXT    NOT NULL,
   seq      INTEGER NOT NULL,
   PRIMARY KEY (user_id, cursor)
) WITHOUT ROWID;
