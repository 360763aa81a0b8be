-- 4: deleting for oneself: the messages each user deleted from their own history (the peer
-- keeps them), and how far each user cleared a conversation's history.
CREATE TABLE hidden_messages (
   owner    TEXT    NOT NULL,
   conv_key TEXT    NOT NULL,
   seq      INTEGER NOT NULL,
   PRIMARY KEY (owner, conv_key, seq)
) WITHOUT ROWID;
ALTER TABLE conversations ADD COLUMN cleared_seq INTEGER NOT NULL DEFAULT 0;
