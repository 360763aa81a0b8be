-- 9: group messages. They live in `messages` under the key 'group' || char(10) || <group id>,
-- numbered by the group's own seq; receiver is the group id and the cursors are 0 (no inbox
-- entry is written for a group message). A recall in a group is a row of its own in the same
-- sequence (kind 1) naming the recalled seq (target), so members catch up on recalls with the
-- messages. join_seq: the group's seq when the member joined; their stream, history and unread
-- count start after it.
ALTER TABLE messages ADD COLUMN kind BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN target BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN join_seq BIGINT NOT NULL DEFAULT 0;
