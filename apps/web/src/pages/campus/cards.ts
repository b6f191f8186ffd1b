import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client';
import type { CampusCard } from '../../api/types';

export const useCards = () => useQuery({ queryKey: ['campus', 'cards'], queryFn: () => get<CampusCard[]>('/v1/campus/cards') });

export function useCard(cardId: string | undefined) {
  const cards = useCards();
  return { ...cards, card: cards.data?.find((c) => c.id === cardId) };
}
