export * from './context';
export * from './mailer';
export * from './sessions';
export * from './presenters';
