-- An administrator's kick refuses the UserSigs a user holds: those issued (TLS.time) up to
-- `sigs_from`, the second of the last kick (0: never kicked), no longer log in.
ALTER TABLE accounts ADD COLUMN sigs_from INTEGER NOT NULL DEFAULT 0;
