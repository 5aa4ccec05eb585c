// Tests run from source: the custom export condition points workspace packages at src/.
export const sourceConditions = ['@stridenet/source'];
