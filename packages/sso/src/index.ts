export * from './config';
export * from './context';
export * from './domains';
export * from './local-issuer';
export * from './settings';
export * from './sign-in';
export * from './states';
