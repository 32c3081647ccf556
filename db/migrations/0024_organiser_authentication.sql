CREATE TABLE `organizer_devices` (
	`organizer_id` integer NOT NULL,
	`device_hash` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`last_seen_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	PRIMARY KEY(`organizer_id`, `device_hash`),
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `organizer_passkeys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organizer_id` integer NOT NULL,
	`credential_id` text NOT NULL,
	`public_key` text NOT NULL,
	`counter` integer DEFAULT 0 NOT NULL,
	`transports` text,
	`backed_up` integer DEFAULT false NOT NULL,
	`name` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizer_passkeys_credential_id_unique` ON `organizer_passkeys` (`credential_id`);--> statement-breakpoint
CREATE INDEX `organizer_passkeys_organizer_idx` ON `organizer_passkeys` (`organizer_id`);--> statement-breakpoint
CREATE TABLE `organizer_recovery_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`organizer_id` integer NOT NULL,
	`code_hash` text NOT NULL,
	`used_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organizer_recovery_codes_code_hash_unique` ON `organizer_recovery_codes` (`code_hash`);--> statement-breakpoint
CREATE INDEX `organizer_recovery_codes_organizer_idx` ON `organizer_recovery_codes` (`organizer_id`);--> statement-breakpoint
CREATE TABLE `organizer_totp` (
	`organizer_id` integer PRIMARY KEY NOT NULL,
	`sealed` text NOT NULL,
	`data_key_id` text NOT NULL,
	`confirmed_at` integer,
	`last_time_step` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `webauthn_challenges` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`ceremony` text NOT NULL,
	`challenge` text NOT NULL,
	`organizer_id` integer,
	`session_id_hash` text,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`organizer_id`) REFERENCES `organizers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webauthn_challenges_expires_idx` ON `webauthn_challenges` (`expires_at`);--> statement-breakpoint
ALTER TABLE `instance_settings` ADD `second_factor_policy` text DEFAULT 'owners' NOT NULL;--> statement-breakpoint
ALTER TABLE `organizers` ADD `webauthn_user_id` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `level` text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `second_factor` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `device` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_seen_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Sessions from before issue 18 have no level, device or last-seen time: everyone signs in again (ADR 019).
DELETE FROM sessions;
