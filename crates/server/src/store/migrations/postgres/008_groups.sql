-- 8: groups and their members. A group's messages will live in its own sequence, as a C2C
-- conversation's do; unread counts derive from the group's last seq and each member's read seq.
CREATE TABLE groups (
   group_id       TEXT    NOT NULL PRIMARY KEY,
   group_type     BIGINT NOT NULL,
   name           TEXT    NOT NULL,
   owner          TEXT    NOT NULL,
   notification   TEXT    NOT NULL DEFAULT '',
   introduction   TEXT    NOT NULL DEFAULT '',
   face_url       TEXT    NOT NULL DEFAULT '',
   add_option     BIGINT NOT NULL,
   max_members    BIGINT NOT NULL,
   shutup_all     BIGINT NOT NULL DEFAULT 0,
   custom         TEXT    NOT NULL DEFAULT '[]',
   created        BIGINT NOT NULL,
   info_seq       BIGINT NOT NULL DEFAULT 1,
   last_info_time BIGINT NOT NULL,
   last_seq       BIGINT NOT NULL DEFAULT 0,
   last_msg_time  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE group_members (
   group_id     TEXT    NOT NULL,
   user_id      TEXT    NOT NULL,
   role         BIGINT NOT NULL,
   join_time    BIGINT NOT NULL,
   msg_flag     BIGINT NOT NULL DEFAULT 0,
   shutup_until BIGINT NOT NULL DEFAULT 0,
   name_card    TEXT    NOT NULL DEFAULT '',
   custom       TEXT    NOT NULL DEFAULT '[]',
   read_seq     BIGINT NOT NULL DEFAULT 0,
   PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);
