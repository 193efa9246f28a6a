// @flowspark/notifications: in-app notifications for the members of an organization.
export * from './notifications';
