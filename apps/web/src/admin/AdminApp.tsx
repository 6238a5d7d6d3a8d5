// The admin's workspace (loaded on demand): users, orders, categories, health.
import { NavLink, Route, Routes } from 'react-router';
import NotFound from '../pages/NotFound.js';
import { AdminCategories } from './AdminCategories.js';
import { AdminHealth } from './AdminHealth.js';
import { AdminOrders } from './AdminOrders.js';
import { AdminUsers } from './AdminUsers.js';

export default function AdminApp() {
  return (
    <>
      <nav aria-label="Admin" className="workspace-nav">
        <NavLink to="/admin" end>
          Users
        </NavLink>
        <NavLink to="/admin/orders">Orders</NavLink>
        <NavLink to="/admin/categories">Categories</NavLink>
        <NavLink to="/admin/health">Health</NavLink>
      </nav>
      <Routes>
        <Route index element={<AdminUsers />} />
        <Route path="orders" element={<AdminOrders />} />
        <Route path="categories" element={<AdminCategories />} />
        <Route path="health" element={<AdminHealth />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </>
  );
}
