// The seller's workspace (loaded on demand): products, the product form, orders to fulfil.
import { NavLink, Route, Routes } from 'react-router';
import NotFound from '../pages/NotFound.js';
import ProductForm from './ProductForm.js';
import SellerOrders from './SellerOrders.js';
import SellerProducts from './SellerProducts.js';

export default function SellerApp() {
  return (
    <>
      <nav aria-label="Seller" className="workspace-nav">
        <NavLink to="/seller" end>
          Products
        </NavLink>
        <NavLink to="/seller/products/new">New product</NavLink>
        <NavLink to="/seller/orders">Orders</NavLink>
      </nav>
      <Routes>
        <Route index element={<SellerProducts />} />
        <Route path="products/new" element={<ProductForm />} />
        <Route path="products/:id" element={<ProductForm />} />
        <Route path="orders" element={<SellerOrders />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </>
  );
}
