import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A citizen's or staff member's account (identity.users). Properties carry
 * the column names: the entity is the row the services and auth work with.
 */
@Entity({ schema: 'identity', name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  phone: string;

  @Column({ type: 'text' })
  password_hash: string;

  @Column({ type: 'text', nullable: true })
  display_name: string | null;

  @Column({ type: 'smallint' })
  kyc_level: number;

  @Column({ type: 'text', nullable: true })
  real_full_name: string | null;

  @Column({ type: 'text', nullable: true })
  id_type: string | null;

  @Column({ type: 'text', nullable: true })
  id_number_masked: string | null;

  @Column({ type: 'bytea', nullable: true })
  id_number_hash: Buffer | null;
}
