ALTER TABLE `campaigns` ADD `donor_wall_needs_approval` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `donations` ADD `wall_status` text;--> statement-breakpoint
ALTER TABLE `donations` ADD `receipt_name` text;--> statement-breakpoint
ALTER TABLE `donations` ADD `receipt_number` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `donations_receipt_number_unique` ON `donations` (`receipt_number`);--> statement-breakpoint
-- Receipts already sent said VIG-<id>: those numbers stay theirs; new ones continue after the highest.
UPDATE `donations` SET `receipt_number` = `id` WHERE `paid_at` IS NOT NULL;--> statement-breakpoint
-- Entries already on the wall were public before moderation existed: they stay, and can be hidden.
UPDATE `donations` SET `wall_status` = 'approved' WHERE `parent_id` IS NULL AND `public_name` IS NOT NULL;
