import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, NOT_FOUND } from '../../api/client';
import type { Vehicle } from '../../api/types';
import { ErrorNotice, Loading } from '../../components/ui';
import { useOrganization } from './ConsoleHeading';

/** The bus-door sticker: the vehicle's EMVCo merchant-presented QR (SVG from the server), ready to print. */
export default function VehicleSticker() {
  const { t } = useTranslation('operator');
  const { operatorId = '', vehicleId } = useParams();
  const org = useOrganization(operatorId);
  const vehicles = useQuery({ queryKey: ['operator-transit', operatorId, 'vehicles'], queryFn: () => get<Vehicle[]>(`/v1/transit/vehicles?operatorId=${operatorId}`) });
  const vehicle = vehicles.data?.find((v) => v.id === vehicleId);
  if (vehicles.isPending) return <Loading />;
  if (!vehicle) return <ErrorNotice error={vehicles.error ?? NOT_FOUND} />;
  return (
    <section className="sticker-page">
      <p className="no-print">
        <Link to={`/operator/transit/${operatorId}`}>{t('transit.backToConsole')}</Link>
      </p>
      <div className="sticker" data-testid="vehicle-sticker" data-static-qr={vehicle.staticQr}>
        <h1>{t('transit.stickerTitle')}</h1>
        <div className="qr" role="img" aria-label={t('transit.stickerQrLabel', { plate: vehicle.plate })} dangerouslySetInnerHTML={{ __html: vehicle.staticQrSvg }} />
        <p className="big">{vehicle.plate}</p>
        <p>
          {t('transit.route')} {vehicle.routeCode}
          {org.data ? ` · ${org.data.name}` : ''}
        </p>
        <p className="muted">{t('transit.stickerHint')}</p>
      </div>
      <button type="button" className="no-print" onClick={() => window.print()}>
        {t('transit.print')}
      </button>
    </section>
  );
}
