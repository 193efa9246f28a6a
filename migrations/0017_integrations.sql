CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`base_url` text,
	`email` text,
	`token_encrypted` text NOT NULL,
	`token_hint` text NOT NULL,
	`key_fingerprint` text NOT NULL,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `integrations_org_created` ON `integrations` (`org_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `integrations_key` ON `integrations` (`key_fingerprint`);