/** "张三" -> "张*", "Wang Xiaoming" -> "W************": the first character, the rest masked. */
export function maskName(name: string | null): string | null {
  if (!name) return null;
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}
