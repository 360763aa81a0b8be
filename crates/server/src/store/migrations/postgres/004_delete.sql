-- 4: deleting for oneself: the messages each user deleted from their own history (the peer
-- keeps them), and how far each user cleared a conversation's history.
CREATE TABLE hidden_messages (
   owner    TEXT   NOT NULL,
   conv_key TEXT   NOT NULL,
   seq      BIGINT NOT NULL,
   PRIMARY KEY (owner, conv_key, seq)
);
ALTER TABLE conversations ADD COLUMN cleared_seq BIGINT NOT NULL DEFAULT 0;
