import { Navigate, Route, Routes } from 'react-router';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { Layout } from './components/Layout';
import { RequireAuth, useAuth } from './auth/auth';
import { FEATURES } from './features';
import { LoginPage, RegisterPage } from './pages/AuthPages';
import { MePage } from './pages/MePage';

function Home() {
  const { signedIn } = useAuth();
  return <Navigate to={signedIn ? '/wallet' : '/login'} replace />;
}

function NotFound() {
  const { t } = useTranslation('common');
  return (
    <section>
      <h1>{t('notFound')}</h1>
      <Link to="/">{t('backHome')}</Link>
    </section>
  );
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route
          path="/me"
          element={
            <RequireAuth>
              <MePage />
            </RequireAuth>
          }
        />
        {FEATURES.flatMap((f) =>
          f.routes.map(({ path, page: Page, auth }) => (
            <Route
              key={path}
              path={path}
              element={
                auth === false ? (
                  <Page />
                ) : (
                  <RequireAuth>
                    <Page />
                  </RequireAuth>
                )
              }
            />
          )),
        )}
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
