declare const __APILENS_VERSION__: string | undefined;

/** Version of @apilens/server; set by the build. */
export const SERVER_VERSION: string =
  typeof __APILENS_VERSION__ === 'string' ? __APILENS_VERSION__ : '0.0.0-dev';
