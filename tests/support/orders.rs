//! The gRPC service the gRPC tests call: `shop.Orders/Get`, declared with
//! prost's derive (no protoc), and a real tonic client's call to it.

use std::net::SocketAddr;

use http::uri::PathAndQuery;
use tonic::Status;
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
pub struct GetOrder {
    #[prost(uint64, tag = "1")]
    pub id: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Order {
    #[prost(uint64, tag = "1")]
    pub id: u64,
    #[prost(string, tag = "2")]
    pub item: String,
}

pub const GET: &str = "/shop.Orders/Get";

/// One `Get` call through `gateway` with a real tonic client.
pub async fn get_order(gateway: SocketAddr, id: u64) -> Result<Order, Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{gateway}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.unwrap();
    client
        .unary(
            tonic::Request::new(GetOrder { id }),
            PathAndQuery::from_static(GET),
            ProstCodec::<GetOrder, Order>::default(),
        )
        .await
        .map(tonic::Response::into_inner)
}

/// The `Proxy-Status` a gRPC error carries in its metadata.
pub fn proxy_status(status: &Status) -> Option<&str> {
    status
        .metadata()
        .get("proxy-status")
        .map(|v| v.to_str().unwrap())
}
