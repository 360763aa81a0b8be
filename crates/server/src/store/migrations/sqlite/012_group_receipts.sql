-- 12: group read receipts: one row per member who reported reading a message that asked for
-- receipts (message_need_read_receipt); nothing is written for members who have not.
CREATE TABLE group_receipts (
   group_id TEXT    NOT NULL,
   seq      INTEGER NOT NULL,
   user_id  TEXT    NOT NULL,
   time     INTEGER NOT NULL,
   PRIMARY KEY (group_id, seq, user_id)
);
