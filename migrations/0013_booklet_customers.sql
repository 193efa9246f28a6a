CREATE TABLE `customer_attributes` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`year` integer,
	`quarter` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_attributes_period` ON `customer_attributes` (`customer_id`,`key`,coalesce(year, 0),coalesce(quarter, 0));--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`external_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customers_org_created` ON `customers` (`org_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `customers_org_external` ON `customers` (`org_id`,`external_id`);