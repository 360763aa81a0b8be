-- 13: how each member sees a group's conversation, their own on every device: history
-- cleared up to cleared_seq, pinned, and off the list (hidden) until a message after
-- hidden_seq. Messages a member deleted are rows of hidden_messages, as for C2C.
ALTER TABLE group_members ADD COLUMN cleared_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN hidden BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN hidden_seq BIGINT NOT NULL DEFAULT 0;
