-- 1: messages, inboxes, and the counters that number them (seq per conversation, cursor per
-- inbox), row-locked inside each message's transaction.
CREATE TABLE messages (
   conv_key        TEXT    NOT NULL,
   seq             BIGINT  NOT NULL,
   conv_type       INTEGER NOT NULL,
   sender          TEXT    NOT NULL,
   receiver        TEXT    NOT NULL,
   client_msg_id   TEXT    NOT NULL,
   rand            BIGINT  NOT NULL,
   server_time     BIGINT  NOT NULL,
   body            TEXT    NOT NULL,
   sender_cursor   BIGINT  NOT NULL,
   receiver_cursor BIGINT  NOT NULL,
   PRIMARY KEY (conv_key, seq)
);
CREATE UNIQUE INDEX messages_by_client_id ON messages (sender, client_msg_id);
CREATE TABLE inbox (
   user_id  TEXT    NOT NULL,
   cursor   BIGINT  NOT NULL,
   kind     INTEGER NOT NULL,
   conv_key TEXT    NOT NULL,
   seq      BIGINT  NOT NULL,
   PRIMARY KEY (user_id, cursor)
);
CREATE TABLE counters (
   name  TEXT   PRIMARY KEY,
   value BIGINT NOT NULL
);
