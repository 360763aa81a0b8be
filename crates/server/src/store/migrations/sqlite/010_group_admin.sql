-- 10: what group administration keeps. visible / searchable: the profile flags of
-- TIMGroupModifyGroupInfo. group_pendencies: join requests (kind 0, to_user '': any owner or
-- admin decides) and invitations (kind 1, to_user: the invitee decides), one row per request,
-- a repeated request replacing the earlier one; add_time is milliseconds and unique, so a page
-- of pendencies ends at an exact time. pendency_reads: up to when each user has seen theirs.
ALTER TABLE groups ADD COLUMN visible INTEGER NOT NULL DEFAULT 2;
ALTER TABLE groups ADD COLUMN searchable INTEGER NOT NULL DEFAULT 2;
CREATE TABLE group_pendencies (
   group_id      TEXT    NOT NULL,
   kind          INTEGER NOT NULL,
   from_user     TEXT    NOT NULL,
   to_user       TEXT    NOT NULL,
   add_time      INTEGER NOT NULL,
   apply_msg     TEXT    NOT NULL DEFAULT '',
   handled       INTEGER NOT NULL DEFAULT 0,
   handle_result INTEGER NOT NULL DEFAULT 0,
   handled_by    TEXT    NOT NULL DEFAULT '',
   approval_msg  TEXT    NOT NULL DEFAULT '',
   PRIMARY KEY (group_id, kind, from_user, to_user)
);
CREATE UNIQUE INDEX group_pendencies_by_time ON group_pendencies (add_time);
CREATE INDEX group_pendencies_by_invitee ON group_pendencies (to_user, add_time);
CREATE TABLE pendency_reads (
   user_id   TEXT    NOT NULL PRIMARY KEY,
   read_time INTEGER NOT NULL
);
