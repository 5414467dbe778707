// What the test page in browser-codec.test.js puts on `window`, for the callbacks that
// test passes to page.evaluate (they run inside Chromium, where the page has set it).
interface Window {
  wscodecPage: {
    codec: typeof import('../../dist/codec/index.js');
    codecVectors: typeof import('./vectors.js').codecVectors;
    runVector: typeof import('./vectors.js').runVector;
    encodeVectors: typeof import('./vectors.js').encodeVectors;
    state: {
      before: string[];
      backendBefore: string;
      initResult?: string;
      initError?: string;
      after?: string[];
      backendAfter?: string;
      exportsSeen?: string[];
      ready?: boolean;
    };
  };
}
