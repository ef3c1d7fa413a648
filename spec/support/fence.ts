/*
 * ESM_FENCE=1 (the matrix sets it) runs every test with FenceLateWrites on where the test
 * does not choose: FerretDB v1, which the tests run on, has it off by default, MongoDB on,
 * so both ways of writing run the whole suite.
 */
if (process.env.ESM_FENCE === '1') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const options = require('../../lib/calls/options') as typeof import('../../lib/calls/options');
  const read = options.readOptions;
  options.readOptions = (input) => {
    const settings = read(input);
    return { ...settings, fenceLateWrites: settings.fenceLateWrites ?? true };
  };
  console.log('  FenceLateWrites: on unless a test says otherwise (ESM_FENCE=1)');
}
