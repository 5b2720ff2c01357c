declare const __APILENS_VERSION__: string | undefined;

/** SDK version, sent in the User-Agent of every batch; set by the build. */
export const SDK_VERSION: string =
  typeof __APILENS_VERSION__ === 'string' ? __APILENS_VERSION__ : '0.0.0-dev';
