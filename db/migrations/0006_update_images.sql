ALTER TABLE `update_translations` ADD `image_alt` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `updates` ADD `image_path` text;