/** WGSL sources are bundled as text (tsup loader 'text', the vitest plugin in vitest.config.ts). */
declare module '*.wgsl' {
  const code: string;
  export default code;
}
