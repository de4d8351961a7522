// ESLint looks for the config nearest each file: this one is the repo's, plus a rule for the SDK's
// own source, which runs in browsers and React Native too.
import rootConfig from '../../eslint.config.js';

export default [
  ...rootConfig,
  { ignores: ['src/generated/**'] },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*'], message: 'The SDK runs outside Node too.' }] },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate'].map(
          (name) => ({
            name,
            message: 'The SDK runs outside Node too: use web APIs.',
          }),
        ),
      ],
    },
  },
];
