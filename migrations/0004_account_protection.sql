CREATE TABLE `email_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`old_email` text NOT NULL,
	`new_email` text NOT NULL,
	`confirm_token_hash` text NOT NULL,
	`undo_token_hash` text NOT NULL,
	`session_id` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`undo_expires_at` text NOT NULL,
	`confirmed_at` text,
	`cancelled_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_changes_confirm_token_hash_unique` ON `email_changes` (`confirm_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `email_changes_undo_token_hash_unique` ON `email_changes` (`undo_token_hash`);--> statement-breakpoint
CREATE INDEX `email_changes_user` ON `email_changes` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `known_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`user_agent` text,
	`created_at` text NOT NULL,
	`last_used_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`failed_attempts` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `known_devices_token_hash_unique` ON `known_devices` (`token_hash`);--> statement-breakpoint
CREATE INDEX `known_devices_user` ON `known_devices` (`user_id`);--> statement-breakpoint
ALTER TABLE `refresh_tokens` ADD `successor_encrypted` text;--> statement-breakpoint
CREATE INDEX `login_attempts_email_ip` ON `login_attempts` (`email`,`ip`,`created_at`);