-- 20: an administrator's global mute of an account (`setnospeaking`): until these Unix
-- seconds it sends no C2C / group messages (0: not muted).
ALTER TABLE accounts ADD COLUMN c2c_muted_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN group_muted_until BIGINT NOT NULL DEFAULT 0;
