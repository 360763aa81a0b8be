-- 17: an administrator's kick refuses the UserSigs a user holds: those issued before
-- `sigs_from` (Unix seconds) no longer log in.
ALTER TABLE accounts ADD COLUMN sigs_from INTEGER NOT NULL DEFAULT 0;
