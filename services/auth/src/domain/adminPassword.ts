// The first admin's password in production: from the environment, long, and not one everybody tries.

export const ADMIN_PASSWORD_MIN_PRODUCTION = 12;

// Lower-case; passwords of 12+ characters that top the leaked-password lists, and this project's own defaults.
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789000',
  '098765432109',
  '111111111111',
  '000000000000',
  '123123123123',
  '121212121212',
  'qwertyuiop12',
  'qwertyuiop123',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'qazwsxedcrfv',
  'asdfghjkl123',
  'zxcvbnm12345',
  'password1234',
  'password12345',
  'password123!',
  'passw0rd1234',
  'p@ssw0rd1234',
  'p@ssword1234',
  'administrator',
  'administrator1',
  'admin1234567',
  'admin12345678',
  'admin123456789',
  'adminadmin123',
  'changeme1234',
  'changeme123!',
  'letmein12345',
  'welcome12345',
  'welcome123456',
  'iloveyou1234',
  'trustno11234',
  'football1234',
  'baseball1234',
  'sunshine1234',
  'superman1234',
  'starwars1234',
  'princess1234',
  'monkey123456',
  'dragon123456',
  'abc123456789',
  'abcdefghijkl',
  'abcd12345678',
  'secret123456',
  'microbazaar',
  'microbazaar1',
  'microbazaar123',
  'microbazaar2024',
  'microbazaar2025',
  'microbazaar2026',
  'admin12345',
  'seller12345',
]);

/** Why a password may not be the first admin's in production, or undefined when it may. */
export function weakAdminPassword(password: string): string | undefined {
  if (password.length < ADMIN_PASSWORD_MIN_PRODUCTION) {
    return `must be at least ${ADMIN_PASSWORD_MIN_PRODUCTION} characters in production`;
  }
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.)\1*$/.test(password)) return 'is a commonly used password';
  return undefined;
}
