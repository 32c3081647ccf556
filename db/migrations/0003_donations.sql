CREATE TABLE `donations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`fund_id` integer NOT NULL,
	`supporter_id` integer,
	`parent_id` integer,
	`interval` text NOT NULL,
	`gift_minor` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`paid_at` integer,
	`failed_at` integer,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`dispute_status` text,
	`disputed_minor` integer DEFAULT 0 NOT NULL,
	`counted_minor` integer DEFAULT 0 NOT NULL,
	`public_name` text,
	`message` text,
	`wants_updates` integer DEFAULT false NOT NULL,
	`locale` text NOT NULL,
	`email` text NOT NULL,
	`stripe_checkout_session_id` text,
	`stripe_payment_intent_id` text,
	`stripe_invoice_id` text,
	`stripe_subscription_id` text,
	`stripe_customer_id` text,
	`subscription_ended_at` integer,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`fund_id`) REFERENCES `funds`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`parent_id`) REFERENCES `donations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_checkout_session_id_unique` ON `donations` (`stripe_checkout_session_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_payment_intent_id_unique` ON `donations` (`stripe_payment_intent_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `donations_stripe_invoice_id_unique` ON `donations` (`stripe_invoice_id`);--> statement-breakpoint
CREATE INDEX `donations_fund_paid_idx` ON `donations` (`fund_id`,`paid_at`);--> statement-breakpoint
CREATE INDEX `donations_campaign_created_idx` ON `donations` (`campaign_id`,`id`);--> statement-breakpoint
CREATE INDEX `donations_subscription_idx` ON `donations` (`stripe_subscription_id`);--> statement-breakpoint
CREATE TABLE `fund_counters` (
	`fund_id` integer PRIMARY KEY NOT NULL,
	`raised_minor` integer DEFAULT 0 NOT NULL,
	`donations` integer DEFAULT 0 NOT NULL,
	`donors` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`fund_id`) REFERENCES `funds`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `fund_donors` (
	`fund_id` integer NOT NULL,
	`supporter_id` integer NOT NULL,
	PRIMARY KEY(`fund_id`, `supporter_id`),
	FOREIGN KEY (`fund_id`) REFERENCES `funds`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`supporter_id`) REFERENCES `supporters`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `fund_translations` (
	`fund_id` integer NOT NULL,
	`locale` text NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	PRIMARY KEY(`fund_id`, `locale`),
	FOREIGN KEY (`fund_id`) REFERENCES `funds`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `funds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` integer NOT NULL,
	`slug` text NOT NULL,
	`goal_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `funds_campaign_slug_idx` ON `funds` (`campaign_id`,`slug`);--> statement-breakpoint
CREATE INDEX `funds_campaign_position_idx` ON `funds` (`campaign_id`,`position`);--> statement-breakpoint
CREATE TABLE `stripe_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`created` integer NOT NULL,
	`received_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
