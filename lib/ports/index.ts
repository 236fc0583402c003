export * from './storage';
export * from './reference-cache';
export * from './clock';
export * from './logger';
export * from './metrics';
export * from './bucket-acl';
